-- A client we did not write, against the simulator (issue 15, point 13): the
-- npm package connectwise-rest 1.3.0, used against real servers, lists every
-- computer with its own paginate over https (the apitoken dialect, its login
-- without ClientId, its documented clientId option on the data calls), and
-- its records (Id, ComputerName) are cwa's listing of the same simulator.
-- node and the package are test tooling: `make test` installs them with
-- `sh .ci/npm-tools bench`; when they are missing these tests fail, never pass.
local simlib = require("support.sim")
local clientlib = require("support.client")
local proc = require("support.proc")
local cjson = require("cjson")

local q = simlib.shell_quote
local CWR_VERSION = "1.3.0"
local MODULES = "bench/node_modules"
local PAGE = 1000 -- cwr_list.js's pageSize

-- Raises, saying how to install it, unless node and the pinned package are here.
local function require_tools()
  local _, _, code = proc.run("command -v node >/dev/null")
  assert(code == 0, "node is not installed: `make test` installs it (sh .ci/npm-tools bench)")
  local pkg = simlib.read_file(MODULES .. "/connectwise-rest/package.json")
  local version = pkg and pkg:match('"version"%s*:%s*"([^"]*)"')
  assert(version == CWR_VERSION, ("connectwise-rest %s is not in %s (found %s): `make test` installs it "
    .. "(sh .ci/npm-tools bench)"):format(CWR_VERSION, MODULES, tostring(version)))
end

-- connectwise-rest's records, as cwr_list.js prints them (one JSON line each).
local function cwr_list(sim)
  -- axios follows the proxy variables; the simulator is on 127.0.0.1. Under
  -- `make sanitize` node must not start with libasan preloaded.
  local cmd = ("unset LD_PRELOAD; env -u http_proxy -u https_proxy -u HTTP_PROXY -u HTTPS_PROXY "
    .. "NO_PROXY=127.0.0.1 NODE_EXTRA_CA_CERTS=%s NODE_PATH=\"$PWD\"/%s timeout 60 node "
    .. "spec/support/cwr_list.js %s"):format(q(sim.ca_file), MODULES, q(sim.url))
  local out, err, code = proc.run(cmd)
  assert(code == 0, "cwr_list.js exited " .. tostring(code) .. ": " .. err)
  local records = {}
  for line in out:gmatch("[^\n]+") do
    records[#records + 1] = cjson.decode(line)
  end
  return records
end

-- The page requests the simulator counted, as a sorted list of their keys.
local function page_keys(sim)
  local keys = {}
  for key in pairs(sim:stats().pages or {}) do keys[#keys + 1] = key end
  table.sort(keys)
  return keys
end

describe("connectwise-rest (npm) against cwa-sim --tls", function()
  -- 2500: the last page is short; 2000: it is full and paginate reads one
  -- more, empty, page.
  for _, case in ipairs({{n = 2500, pages = 3}, {n = 2000, pages = 3}}) do
    it(("lists %d computers with its own paginate, as cwa lists them"):format(case.n), function()
      require_tools()
      local sim = simlib.start{"--tls", "--computers", tostring(case.n)}
      assert.is_truthy(sim.ca_file, "the simulator printed no CA file")
      local ok, err = pcall(function()
        local theirs = cwr_list(sim)

        local expected_pages = {}
        for page = 1, case.pages do
          expected_pages[page] = ("/cwa/api/v1/computers?page=%d&pagesize=%d"):format(page, PAGE)
        end
        table.sort(expected_pages)
        assert.are.same(expected_pages, page_keys(sim))

        local client = clientlib.new(sim, {ca_file = sim.ca_file})
        local ours = client:list("/Computers", {fields = {"Id", "ComputerName"}})
        assert.are.equal(case.n, #ours)
        assert.are.equal(#ours, #theirs)
        local seen = {}
        for i, rec in ipairs(ours) do
          assert.is_nil(seen[rec.Id], "id " .. tostring(rec.Id) .. " listed twice")
          seen[rec.Id] = true
          assert.are.equal("string", type(rec.ComputerName), "record " .. i)
          assert.are.same({Id = rec.Id, ComputerName = rec.ComputerName}, theirs[i], "record " .. i)
        end
      end)
      sim:stop()
      assert(ok, err)
    end)
  end
end)
