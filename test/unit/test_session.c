/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_session(void)
{
    Suite *s = suite_create("session");
    return s;
}
