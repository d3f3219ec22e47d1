-- Runs the C unit tests (build/cwa-unit) and reports each as its own case.
local build = os.getenv("CWA_BUILD") or "build"

describe("C core unit tests", function()
  local p = assert(io.popen("./" .. build .. "/cwa-unit 2>&1"))
  local out = p:read("a")
  local exited_cleanly = p:close()
  local results, notes = {}, {}
  for line in out:gmatch("[^\n]+") do
    local status, name = line:match("^(n?o?t? ?ok) %d+ %- (%S+)$")
    if status then
      results[#results + 1] = {name = name, ok = status == "ok", notes = notes}
      notes = {}
    elseif line:sub(1, 1) == "#" then
      notes[#notes + 1] = line
    end
  end
  for _, r in ipairs(results) do
    it(r.name, function()
      assert(r.ok, table.concat(r.notes, "\n"))
    end)
  end
  it("ran and exited cleanly", function()
    assert(#results > 0, "no unit test ran:\n" .. out)
    assert(exited_cleanly, out)
  end)
end)
