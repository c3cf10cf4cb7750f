# INN2 expire.ctl for the inetkit interop tests: never expire anything, so counts stay put.
/remember/:11
*:A:never:never:never
