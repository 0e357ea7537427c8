/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_claims(void)
{
    Suite *s = suite_create("claims");
    return s;
}
