-- count.lua - shared by the bench scripts (dofile'd by each): counts the
-- replies of each thread by status, and 503s without Retry-After; done()
-- prints them as one line "BENCH {json}" that tests/bench/run.py reads.
local threads = {}
local nthreads = 0

function setup(thread)
   thread:set("id", nthreads)
   nthreads = nthreads + 1
   table.insert(threads, thread)
end

counts = {}
no_retry_after = 0

function count(status, headers)
   counts[status] = (counts[status] or 0) + 1
   if status == 503 and headers["Retry-After"] == nil then
      no_retry_after = no_retry_after + 1
   end
end

-- lines of a file, every nth from the kth (one share per thread)
function share(path, k, n)
   local out, i = {}, 0
   for line in io.lines(path) do
      if line ~= "" then
         if i % n == k then table.insert(out, line) end
         i = i + 1
      end
   end
   return out
end

function done(summary, latency, requests)
   local total, missing = {}, 0
   for _, t in ipairs(threads) do
      for status, n in pairs(t:get("counts")) do
         total[status] = (total[status] or 0) + n
      end
      missing = missing + t:get("no_retry_after")
   end
   local parts = {}
   for status, n in pairs(total) do
      table.insert(parts, string.format('"%d": %d', status, n))
   end
   io.write(string.format(
      'BENCH {"statuses": {%s}, "no_retry_after": %d, "requests": %d, ' ..
      '"duration_s": %.3f, "errors": %d, "p50_ms": %.3f, "p99_ms": %.3f, "max_ms": %.3f}\n',
      table.concat(parts, ", "), missing, summary.requests, summary.duration / 1e6,
      summary.errors.connect + summary.errors.read + summary.errors.write +
      summary.errors.timeout, latency:percentile(50) / 1e3, latency:percentile(99) / 1e3,
      latency.max / 1e3))
end
