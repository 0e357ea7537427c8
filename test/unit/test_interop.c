/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_interop(void)
{
    Suite *s = suite_create("interop");
    return s;
}
