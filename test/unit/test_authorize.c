/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_authorize(void)
{
    Suite *s = suite_create("authorize");
    return s;
}
