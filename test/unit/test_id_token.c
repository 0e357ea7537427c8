/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_id_token(void)
{
    Suite *s = suite_create("id_token");
    return s;
}
