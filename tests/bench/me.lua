-- me.lua - GET /v1/me, round-robin over access tokens (one account each).
--   wrk -s me.lua URL -- TOKENS_FILE NTHREADS
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local headers, i = {}, 0

function init(args)
   for _, t in ipairs(share(args[1], id, tonumber(args[2] or "1"))) do
      table.insert(headers, {Authorization = "Bearer " .. t})
   end
end

function request()
   i = i % #headers + 1
   return wrk.format("GET", "/v1/me", headers[i])
end

response = count
