-- wrk script: each request takes the next path from a file (no path twice
-- while the file lasts, then it starts over), counts non-2xx responses and
-- prints one JSON line of results.
--   wrk -t2 ... -s rotate.lua http://127.0.0.1:8777 -- paths.txt 2
-- The second argument is the number of wrk threads (-t): each thread starts
-- at its own offset so the threads do not ask the same URLs. (setup() runs in
-- the main Lua state; init() runs in each thread's own state, which cannot
-- see the main state's tables, so the count is passed in.)
local threads = {}

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  paths = {}
  local file = assert(io.open(args[1], "r"))
  for line in file:lines() do
    if #line > 0 then table.insert(paths, line) end
  end
  file:close()
  assert(#paths > 0, "no paths in " .. args[1])
  local count = tonumber(args[2]) or 1
  counter = math.floor((id - 1) * #paths / count) % #paths
  non2xx = 0
  first_bad = ""  -- the status of the first non-2xx response, for the summary
end

function request()
  counter = counter + 1
  if counter > #paths then counter = 1 end
  return wrk.format("GET", paths[counter])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
    if first_bad == "" then first_bad = tostring(status) end
  end
end

function done(summary, latency, requests)
  local bad = 0
  local sample = ""
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non2xx")
    if sample == "" then sample = thread:get("first_bad") or "" end
  end
  local e = summary.errors
  io.write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p99_us": %d, "non2xx": %d, "errors": %d, "first_bad": "%s"}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
    e.connect + e.read + e.write + e.timeout, sample))
end
