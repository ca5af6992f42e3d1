-- refresh.lua - POST /v1/sessions/refresh. Each token is good once: every
-- thread keeps a pool of live refresh tokens (its share of TOKENS_FILE),
-- takes one per request and puts back the one each reply brings. A
-- connection's next request is made only after its reply was read, so
-- a pool of at least one token per connection never runs dry.
--   wrk -s refresh.lua URL -- TOKENS_FILE NTHREADS
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local pool = {}

function init(args)
   pool = share(args[1], id, tonumber(args[2] or "1"))
end

function request()
   local token = table.remove(pool)
   if token == nil then token = "exhausted" end
   return wrk.format("POST", "/v1/sessions/refresh", {["Content-Type"] = "application/json"},
                     string.format('{"refresh_token": "%s"}', token))
end

function response(status, headers, body)
   count(status, headers)
   local token = body:match('"refresh_token"%s*:%s*"([^"]+)"')
   if token ~= nil then table.insert(pool, token) end
end
