/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_url(void)
{
    Suite *s = suite_create("url");
    return s;
}
