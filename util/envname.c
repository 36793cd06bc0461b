/*
 * envname.c: what may be the name of an environment variable (the
 * configuration's env= and the importers both ask).
 */
#include <ctype.h>

#include "util.h"

bool util_is_env_name(const char *s, size_t len)
{
	if (len == 0 || isdigit((unsigned char)s[0]))
		return false;
	for (size_t i = 0; i < len; i++)
		if (!isalnum((unsigned char)s[i]) && s[i] != '_')
			return false;
	return true;
}
