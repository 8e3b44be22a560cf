-- wrk script for bench/throughput.js: counts every response whose status is not 200 (so
-- a fast error path cannot pass for throughput) and, when WRK_EXPECT_BODY is set, every
-- response whose body is not exactly that string; prints one machine-readable summary
-- line, with latency in microseconds.
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  non200 = 0
  badbody = 0
  expected = os.getenv("WRK_EXPECT_BODY")
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
  elseif expected and body ~= expected then
    badbody = badbody + 1
  end
end

function done(summary, latency, requests)
  local bad = 0
  local badbody = 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("non200")
    badbody = badbody + (thread:get("badbody") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"non200":%d,"badbody":%d,' ..
    '"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"mean_us":%.1f,"max_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, bad, badbody,
    e.connect, e.read, e.write, e.status, e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99),
    latency.mean, latency.max))
end
