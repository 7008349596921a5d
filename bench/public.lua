-- wrk script for bench/public (the public API benchmark). Configured by the
-- environment, so one script serves every measurement:
--   PUB_MODE    detail | fixed
--   PUB_ETAGS   detail: a file of "slug<TAB>etag" lines, one per published
--               piece; each request asks for one of them, drawn uniformly
--   PUB_COND    detail: 1 sends the slug's current ETag as If-None-Match
--               (the client holds the current state: 304)
--   PUB_PREFIX  detail: the path before the slug (default /api/v1/public/opeds;
--               the floor server's is /floor/opeds)
--   PUB_PATH    fixed: the one path requested
--   PUB_INM     fixed: an If-None-Match value to send (unset: none)
-- At the end it prints one line that bench/public reads:
--   PUB_RESULT requests=N seconds=S rps=R bytes_per_resp=B p50_us=.. p90_us=.. p99_us=.. max_us=.. status_errors=N socket_errors=N
-- wrk counts only statuses >= 400 as errors; bytes_per_resp (headers
-- included) tells a 304 (~250 bytes) from a 200 with a body.

local mode = os.getenv("PUB_MODE") or "fixed"
local cond = os.getenv("PUB_COND") == "1"
local path = os.getenv("PUB_PATH") or "/"
local inm = os.getenv("PUB_INM")
local prefix = os.getenv("PUB_PREFIX") or "/api/v1/public/opeds"

local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("seed", counter)
end

local slugs, etags = {}, {}
local headers = {}
function init(args)
    -- Distinct, repeatable slug streams per thread.
    math.randomseed(1000003 * (seed or 1))
    if mode == "detail" then
        local file = assert(io.open(os.getenv("PUB_ETAGS"), "r"))
        for line in file:lines() do
            local slug, etag = string.match(line, "^([^\t]+)\t(.+)$")
            if slug then
                slugs[#slugs + 1] = prefix .. "/" .. slug
                etags[#etags + 1] = etag
            end
        end
        file:close()
        assert(#slugs > 0, "no slugs in PUB_ETAGS")
    elseif inm then
        headers["If-None-Match"] = inm
    end
end

function request()
    if mode == "detail" then
        local i = math.random(1, #slugs)
        if cond then
            return wrk.format("GET", slugs[i], { ["If-None-Match"] = etags[i] })
        end
        return wrk.format("GET", slugs[i])
    end
    return wrk.format("GET", path, headers)
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        "PUB_RESULT requests=%d seconds=%.2f rps=%.1f bytes_per_resp=%.0f p50_us=%d p90_us=%d p99_us=%d max_us=%d status_errors=%d socket_errors=%d\n",
        summary.requests, seconds, summary.requests / seconds, summary.bytes / math.max(summary.requests, 1),
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        e.status, e.connect + e.read + e.write + e.timeout))
end
