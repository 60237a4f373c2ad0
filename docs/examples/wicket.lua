-- wicket.lua: HAProxy asks wicketd about each request, as nginx's auth_request does.
-- Needs HAProxy 2.5 or later built with Lua (Debian's is); loaded by docs/examples/haproxy.cfg:
--   http-request lua.wicket http://127.0.0.1:8089/auth?group=admins
-- wicketd is sent only the original method, URI, host and client, and the client's
-- Authorization header: nothing else the client wrote reaches it. On 200 the request goes
-- on with wicketd's Remote-* headers (the client's own are removed first); any other
-- answer goes to the client with its challenges. No answer at all is a 503.

local identity = { "remote-user", "remote-groups", "remote-name", "remote-email" }
local passed = { "www-authenticate", "retry-after", "location", "cache-control" }

-- The httpclient's header values come as a table indexed from 0.
local function values(res, name)
  local v = res.headers and res.headers[name]
  if not v then return nil end
  local out, i = {}, 0
  while v[i] ~= nil do
    out[#out + 1] = v[i]
    i = i + 1
  end
  return #out > 0 and out or nil
end

core.register_action("wicket", { "http-req" }, function(txn, url)
  for _, name in ipairs(identity) do txn.http:req_del_header(name) end
  local ask = {
    ["x-original-method"] = { txn.sf:method() },
    ["x-original-uri"] = { txn.sf:pathq() },
    ["x-real-ip"] = { txn.sf:src() },
  }
  for from, to in pairs({ host = "x-forwarded-host", authorization = "authorization" }) do
    local v = txn.sf:req_fhdr(from)
    if v then ask[to] = { v } end
  end
  local res = core.httpclient():get{ url = url, headers = ask } or {}
  if res.status == 200 then
    for _, name in ipairs(identity) do
      local v = values(res, name)
      if v then txn.http:req_set_header(name, v[1]) end
    end
    return
  end
  local status = (res.status == 401 or res.status == 403) and res.status or 503
  local out = {}
  for _, name in ipairs(passed) do out[name] = values(res, name) end
  txn:done(txn:reply{ status = status, headers = out, body = "" })
end, 1)
