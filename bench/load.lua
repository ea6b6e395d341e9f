-- wrk script for bench/load.py --saturate: each request is the next line of LOAD_REQUESTS
-- ("<endpoint> <token> <path>", a shuffled mix written by load.py), sent with that client's token.
-- wrk (C, one thread) leaves the cores to the server; done() prints one JSON line for load.py.

local requests = {}
local counter = 0

function setup(thread)
  thread:set("offset", math.random(0, 1000000))
end

function init(args)
  for line in io.lines(os.getenv("LOAD_REQUESTS")) do
    local endpoint, token, path = line:match("^(%S+) (%S+) (%S+)$")
    requests[#requests + 1] = wrk.format("GET", path, { ["Authorization"] = "Token " .. token })
  end
  counter = offset or 0
end

function request()
  counter = counter + 1
  return requests[(counter % #requests) + 1]
end

function done(summary, latency, requests_)
  local parts = {}
  for _, p in ipairs({ 50, 95, 99 }) do
    parts[#parts + 1] = string.format('"p%d_ms": %.2f', p, latency:percentile(p) / 1000)
  end
  local errors = summary.errors
  print(string.format(
    '{"requests": %d, "duration_s": %.3f, "connect_errors": %d, "read_errors": %d, "write_errors": %d, '
      .. '"timeouts": %d, "non_2xx_3xx": %d, %s}',
    summary.requests, summary.duration / 1e6, errors.connect, errors.read, errors.write, errors.timeout,
    errors.status, table.concat(parts, ", ")
  ))
end
