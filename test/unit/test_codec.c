/* placeholder suite: replaced by the unit's owner */
#include "tests.h"
Suite *itsme_suite_codec(void)
{
    Suite *s = suite_create("codec");
    return s;
}
