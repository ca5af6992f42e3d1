-- register.lua - POST /v1/registrations, a new email on every request.
--   wrk -s register.lua URL -- TAG [PAUSE_MS CONNECTIONS_PER_THREAD]
-- TAG keeps emails unique across runs; PAUSE_MS, when given, is how long
-- each connection waits before each request (a paced flood: connections /
-- PAUSE_MS requests a millisecond at most), the first requests spread
-- over one pause so that the connections do not all send at once.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local n, tag, tag_n, pause, conns, delays = 0, "x", 0, 0, 1, 0

function init(args)
   tag = (args[1] or "x") .. "t" .. id
   for i = 1, #tag do tag_n = (tag_n * 31 + tag:byte(i)) % 100 end
   pause = tonumber(args[2] or "0")
   conns = tonumber(args[3] or "1")
end

function delay()
   delays = delays + 1
   if delays <= conns then
      return math.floor((delays - 1) * pause / conns)
   end
   return pause
end

-- Each registration has its own NPI and licence number, as real ones do:
-- one shared by every request would make each registration a duplicate
-- of all before it (review, and a search that grows with the table).
-- The NPI's tenth digit is the Luhn check digit over "80840" and the
-- first nine (CMS, "Requirements for National Provider Identifier
-- Check Digit", the same rule as services/base/validate.c).
local function luhn_npi(nine)
   local digits, sum = "80840" .. nine, 0
   for i = #digits, 1, -1 do
      local d = tonumber(digits:sub(i, i))
      if (#digits - i) % 2 == 0 then
         d = d * 2
         if d > 9 then d = d - 9 end
      end
      sum = sum + d
   end
   return nine .. tostring((10 - sum % 10) % 10)
end

local body = [[{"email": "%s-%d@bench.example.org", "password": "a long passphrase 2024",
"profile": {"given_name": "Ana", "family_name": "Ng", "profession": "physician",
"country": "US", "npi": "%s", "license_number": "A%s", "license_region": "CA",
"specialty": "cardiology", "phone": "+14155550100"},
"consents": {"licensure_verification": true, "marketing_email": false}}]]

function request()
   n = n + 1
   local nine = string.format("1%02d%01d%05d", tag_n, id % 10, n % 100000)
   return wrk.format("POST", "/v1/registrations", {["Content-Type"] = "application/json"},
                     string.format(body, tag, n, luhn_npi(nine), nine))
end

response = count
