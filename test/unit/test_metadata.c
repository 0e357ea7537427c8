/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_metadata(void)
{
    Suite *s = suite_create("metadata");
    return s;
}
