/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_jose(void)
{
    Suite *s = suite_create("jose");
    return s;
}
