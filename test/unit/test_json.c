/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_json(void)
{
    Suite *s = suite_create("json");
    return s;
}
