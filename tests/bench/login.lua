-- login.lua - POST /v1/sessions, round-robin over registered emails (every
-- thread over all of them, from its own place in the list).
--   wrk -s login.lua URL -- EMAILS_FILE PASSWORD
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local emails, password, i = {}, "", 0

function init(args)
   emails = share(args[1], 0, 1)
   password = args[2]
   i = id * 7 % #emails
end

function request()
   i = i % #emails + 1
   return wrk.format("POST", "/v1/sessions", {["Content-Type"] = "application/json"},
                     string.format('{"email": "%s", "password": "%s"}', emails[i], password))
end

response = count
