-- client:logout() (issue 15, point 9): the token revoked on the server
-- (POST /apitoken/Disable), forgotten here with its token_cache entry; a
-- second logout sends nothing, the next call logs in again; the brief's
-- APICredentials only forgets; a failed revocation still forgets and raises.
local simmod = require "support.sim"
local helper = require "support.client"
local curl = require "support.curl"
local hostile = require "support.hostile"
local raises = require("support.assert").raises

local function temp_dir()
  local dir = os.tmpname()
  os.remove(dir)
  assert(os.execute("mkdir -p " .. simmod.shell_quote(dir)))
  return dir
end

describe("client:logout on the apitoken dialect", function()
  local sim
  setup(function() sim = simmod.start{"--computers", "10"} end)
  teardown(function() sim:stop() end)
  before_each(function() sim:reset() end)

  it("revokes the token, forgets it and its cache entry, and logs in again afterwards", function()
    local dir = temp_dir()
    local cache = dir .. "/token.json"
    local client = helper.new(sim, {token_cache = cache})
    assert.equal(1, client:computer(1).Id)
    local token = client:token()
    assert.truthy(simmod.read_file(cache):find(token, 1, true))
    local api = curl.client(sim, token)
    assert.equal(200, (api.get("/Computers/1")))

    client:logout()
    local stats = sim:stats()
    assert.equal(1, stats.logouts)
    assert.equal(1, stats.requests_by_path["POST /cwa/api/v1/apitoken/disable"])
    -- the old token, used by another client, is refused by the server
    assert.equal(401, (api.get("/Computers/1")))
    local left = simmod.read_file(cache)
    assert.is_true(left == nil or not left:find(token, 1, true))

    local before = sim:stats().requests
    client:logout()
    assert.equal(before, sim:stats().requests, "a second logout sends nothing")
    assert.equal(1, sim:stats().logouts)

    assert.equal(2, client:computer(2).Id)
    stats = sim:stats()
    assert.equal(2, stats.logins)
    local new_token = client:token()
    assert.are_not.equal(token, new_token)
    assert.truthy(simmod.read_file(cache):find(new_token, 1, true))
    client:close()
    os.execute("rm -rf " .. simmod.shell_quote(dir))
  end)

  it("sends nothing when the client never logged in", function()
    local client = helper.new(sim)
    client:logout()
    local stats = sim:stats()
    assert.equal(0, stats.requests)
    assert.equal(0, stats.logouts)
    client:close()
  end)

  it("revokes a token another run left in the cache, and leaves a cache of another token", function()
    local dir = temp_dir()
    local cache = dir .. "/token.json"
    helper.new(sim, {token_cache = cache}):computer(1)
    local cached = helper.new(sim, {token_cache = cache})
    local token = cached:token()
    assert.equal(1, sim:stats().logins, "the second client uses the cached token")
    cached:logout()
    assert.equal(1, sim:stats().logouts)
    assert.equal(401, (curl.client(sim, token).get("/Computers/1")))
    assert.is_nil(simmod.read_file(cache))

    -- a cache another run filled with its own token since is left alone
    local a = helper.new(sim, {token_cache = cache})
    a:token()
    local b = helper.new(sim, {token_cache = dir .. "/b.json"})
    local b_token = b:token()
    assert(os.execute("cp " .. simmod.shell_quote(dir .. "/b.json") .. " " .. simmod.shell_quote(cache)))
    a:logout()
    assert.truthy(simmod.read_file(cache):find(b_token, 1, true))
    assert.equal(200, (curl.client(sim, b_token).get("/Computers/1")))
    os.execute("rm -rf " .. simmod.shell_quote(dir))
  end)
end)

describe("client:logout on the apicredentials dialect", function()
  local sim
  setup(function() sim = simmod.start{"--dialect", "apicredentials", "--computers", "10"} end)
  teardown(function() sim:stop() end)

  it("forgets the token without a request, and logs in again afterwards", function()
    sim:reset()
    local dir = temp_dir()
    local cache = dir .. "/token.json"
    local client = helper.new(sim, {auth = "apicredentials", token_cache = cache})
    assert.equal(1, client:computer(1).Id)
    local before = sim:stats().requests
    client:logout()
    assert.equal(before, sim:stats().requests)
    assert.equal(0, sim:stats().logouts)
    assert.is_nil(simmod.read_file(cache))
    assert.equal(1, client:computer(1).Id)
    assert.equal(2, sim:stats().logins)
    client:close()
    os.execute("rm -rf " .. simmod.shell_quote(dir))
  end)
end)

describe("client:logout when the server fails to revoke", function()
  it("forgets the token all the same and raises the server's error", function()
    local srv = hostile.start("status", {on = "post", status = 500, headers = {},
      body = '{"Message":"revocation store down"}'})
    finally(srv.stop)
    local client = hostile.client(srv, {retries = 0})
    local token = client:token()
    local err = raises("ServerError", "revocation store down", client.logout, client)
    assert.truthy(err.message:find("forgotten", 1, true))
    assert.equal(500, err.status)
    local disables = 0
    for _, r in ipairs(srv.requests()) do
      if r.path:lower():find("/apitoken/disable$") then
        disables = disables + 1
        assert.truthy(r.body:find(token, 1, true), "the body names the token revoked")
      end
    end
    assert.equal(1, disables)
    -- forgotten: a second logout sends nothing, the next call logs in again
    client:logout()
    assert.equal(1, #srv.data_requests())
    assert.are_not.equal(token, (client:token()))
    assert.equal(2, srv.logins())
    client:close()
  end)
end)
