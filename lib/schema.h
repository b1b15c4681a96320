/*
 * schema.h: the subset of JSON Schema that in-process MCP tools use to
 * describe their arguments, checked before a handler runs.
 *
 * Keywords: type (one name or an array of names), required,
 * properties, additionalProperties, enum, items, minimum, maximum,
 * minLength and maxLength (in code points).  A schema may also be true
 * (anything) or false (nothing).  Other keywords are ignored.
 */
#ifndef CL_SCHEMA_H
#define CL_SCHEMA_H

#include <jansson.h>

/* Schemas and values nested deeper than this are refused. */
#define CL_SCHEMA_MAX_DEPTH 64

/*
 * Check that schema is one the validator can apply: the keywords it
 * knows have the right JSON types, type names are known, and nesting
 * stays within CL_SCHEMA_MAX_DEPTH.  Returns 0 or CLAUDE_EINVAL.
 */
int cl_schema_check(json_t *schema);

/*
 * Validate value against a schema that passed cl_schema_check().
 * Returns 0 when it conforms; 1 when it does not, with *why set to a
 * new string (free it) that names the field and the rule, such as
 * "a: expected a number"; or CLAUDE_ENOMEM.  Reads both values only,
 * so several threads may validate against one schema at once.
 */
int cl_schema_validate(json_t *schema, json_t *value, char **why);

#endif /* CL_SCHEMA_H */
