-- wrk's results as an `xos bench --json` run of one workload, so that `xos bench compare` and `report` put wrk's figures beside
-- xos bench's: ops, percentiles, errors and the latency histogram in xos bench's buckets (ten a decade from 10 µs).
-- Environment: WRK_JSON (file to write), WRK_WORKLOAD (default get-4k), WRK_SIZE (bytes a response, default 4096),
-- WRK_ENDPOINT and WRK_CONNECTIONS (recorded as the run's endpoint and concurrency).

local function bucket_of(ms)
  if ms <= 0.01 then return 0 end
  local b = math.ceil(10 * math.log10(ms / 0.01) - 1e-9) - 1
  return math.max(0, math.min(79, b))
end

local function upper(b) return 0.01 * 10 ^ ((b + 1) / 10) end

done = function(summary, latency, requests)
  local path = os.getenv("WRK_JSON")
  if not path then return end
  local size = tonumber(os.getenv("WRK_SIZE") or "4096")
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.status + e.timeout
  local ops = summary.requests - e.status
  local counts, first, last = {}, nil, nil
  for i = 1, #latency do
    local us, count = latency(i)
    local b = bucket_of(us / 1000)
    counts[b] = (counts[b] or 0) + count
    first = first and math.min(first, b) or b
    last = last and math.max(last, b) or b
  end
  local bounds, values = {}, {}
  for b = first or 0, last or -1 do
    bounds[#bounds + 1] = string.format("%.4f", upper(b))
    values[#values + 1] = tostring(counts[b] or 0)
  end
  local ms = function(us) return string.format("%.2f", us / 1000) end
  local f = io.open(path, "w")
  f:write(string.format([[{
  "endpoint": "%s",
  "startedAt": "%s",
  "concurrency": %s,
  "serverSideEncryption": null,
  "workloads": [
    {
      "name": "%s", "objectSize": %d, "ops": %d, "seconds": %.3f, "opsPerSec": %.1f, "mibPerSec": %.1f,
      "p50Ms": %s, "p90Ms": %s, "p99Ms": %s, "maxMs": %s, "errors": %d, "firstError": %s,
      "histogram": { "upperMs": [%s], "counts": [%s] }
    }
  ]
}
]], os.getenv("WRK_ENDPOINT") or "wrk", os.date("!%Y-%m-%dT%H:%M:%SZ"), os.getenv("WRK_CONNECTIONS") or "0",
    os.getenv("WRK_WORKLOAD") or "get-4k", size, ops, seconds, ops / seconds, ops * size / 1048576 / seconds,
    ms(latency:percentile(50)), ms(latency:percentile(90)), ms(latency:percentile(99)), ms(latency.max), errors,
    errors > 0 and string.format('"wrk: %d connect, %d read, %d write, %d non-2xx, %d timeout"', e.connect, e.read, e.write, e.status, e.timeout) or "null",
    table.concat(bounds, ", "), table.concat(values, ", ")))
  f:close()
end
