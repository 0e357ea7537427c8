/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_state(void)
{
    Suite *s = suite_create("state");
    return s;
}
