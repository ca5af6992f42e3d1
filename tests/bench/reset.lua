-- reset.lua - POST /v1/password-resets, round-robin over a file of
-- addresses (every thread over all of them, from its own place).
--   wrk -s reset.lua URL -- EMAILS_FILE
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local emails, i = {}, 0

function init(args)
   emails = share(args[1], 0, 1)
   i = id * 7 % #emails
end

function request()
   i = i % #emails + 1
   return wrk.format("POST", "/v1/password-resets", {["Content-Type"] = "application/json"},
                     string.format('{"email": "%s"}', emails[i]))
end

response = count
