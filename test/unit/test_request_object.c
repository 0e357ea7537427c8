/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_request_object(void)
{
    Suite *s = suite_create("request_object");
    return s;
}
