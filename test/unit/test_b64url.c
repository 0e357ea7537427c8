/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_b64url(void)
{
    Suite *s = suite_create("b64url");
    return s;
}
