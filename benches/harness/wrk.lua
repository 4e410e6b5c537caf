-- wrk reporter: one machine-readable line (latencies in µs) for http_bench.py to read.
-- Extra request headers come from WRK_HEADERS ("Name: value|Name: value").
local h = os.getenv("WRK_HEADERS")
if h and h ~= "" then
  for pair in string.gmatch(h, "[^|]+") do
    local k, v = string.match(pair, "^%s*([^:]+):%s*(.*)$")
    if k then wrk.headers[k] = v end
  end
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'WRK {"requests":%d,"duration_us":%d,"bytes":%d,"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
    '"mean_us":%.1f,"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"min_us":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, latency.min))
end
