-- wrk script for bench/http: POSTs JSON to BENCH_PATH, each request with its own
-- code from the file BENCH_CODES (threads take interleaved codes, so every code
-- is used once), with the API key BENCH_KEY. Prints one RESULT line at the end.
local path = os.getenv("BENCH_PATH") or "/api/v1/redeem"
local key = os.getenv("BENCH_KEY") or ""
local file = os.getenv("BENCH_CODES")
local with_user = os.getenv("BENCH_NO_USER") == nil
local counter = 0

function setup(thread)
	thread:set("tid", counter)
	counter = counter + 1
end

function init(args)
	codes = {}
	for line in io.lines(file) do codes[#codes + 1] = line end
	nthreads = tonumber(os.getenv("BENCH_THREADS") or "2")
	n = tid
	headers = {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. key}
end

function request()
	local i = n
	n = n + nthreads
	local code = codes[(i % #codes) + 1]
	local body
	if with_user then
		body = '{"code":"' .. code .. '","user_id":"u' .. i .. '"}'
	else
		body = '{"code":"' .. code .. '"}'
	end
	return wrk.format("POST", path, headers, body)
end

function done(summary, latency, requests)
	local s = summary
	local secs = s.duration / 1e6
	local bad = s.errors.status + s.errors.connect + s.errors.read + s.errors.write + s.errors.timeout
	-- errors: every failed request; status: answered non-2xx; the rest broke at the socket.
	io.write(string.format("RESULT rps=%.0f p50_ms=%.2f p99_ms=%.2f max_ms=%.2f requests=%d errors=%d" ..
		" status=%d connect=%d read=%d write=%d timeout=%d\n",
		s.requests / secs, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
		latency.max / 1000, s.requests, bad, s.errors.status, s.errors.connect,
		s.errors.read, s.errors.write, s.errors.timeout))
end
