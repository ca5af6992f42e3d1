-- register.lua - POST /v1/registrations, a new email on every request.
--   wrk -s register.lua URL -- TAG [PAUSE_MS CONNECTIONS_PER_THREAD]
-- TAG keeps emails unique across runs; PAUSE_MS, when given, is how long
-- each connection waits before each request (a paced flood: connections /
-- PAUSE_MS requests a millisecond at most), the first requests spread
-- over one pause so that the connections do not all send at once.
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local n, tag, pause, conns, delays = 0, "x", 0, 1, 0

function init(args)
   tag = (args[1] or "x") .. "t" .. id
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

local body = [[{"email": "%s-%d@bench.example.org", "password": "a long passphrase 2024",
"profile": {"given_name": "Ana", "family_name": "Ng", "profession": "physician",
"country": "US", "npi": "1234567893", "license_number": "A12345", "license_region": "CA",
"specialty": "cardiology", "phone": "+14155550100"},
"consents": {"licensure_verification": true, "marketing_email": false}}]]

function request()
   n = n + 1
   return wrk.format("POST", "/v1/registrations", {["Content-Type"] = "application/json"},
                     string.format(body, tag, n))
end

response = count
