-- Loaded by busted before the specs (.busted). Keeps the C module of the
-- selected build tree first on the path and fails early when it is missing.
local build = os.getenv("CWA_BUILD") or "build"
package.cpath = "./" .. build .. "/?.so;" .. package.cpath
