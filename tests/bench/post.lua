-- post.lua - POST one file's contents to one path, again and again (a
-- baseline: a receiver's own rate for the body hcpd would send it).
--   wrk -s post.lua URL -- PATH BODY_FILE
dofile(debug.getinfo(1, "S").source:sub(2):match("(.*/)") .. "count.lua")

local path, body = "/", ""

function init(args)
   path = args[1]
   local f = assert(io.open(args[2], "rb"))
   body = f:read("*a")
   f:close()
end

function request()
   return wrk.format("POST", path, {["Content-Type"] = "application/json"}, body)
end

response = count
