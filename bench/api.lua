-- wrk script for bench/api (the editor API benchmark). Configured by the
-- environment, so one script serves every measurement:
--   API_MODE    detail | floor | fixed | rotate | login
--   API_TOKEN   access token, sent as `Authorization: Bearer` (not for floor/login)
--   API_IDS     detail/floor: ids are drawn uniformly from API_IDS_FROM..API_IDS
--   API_IDS_FROM  (default 1)
--   API_PATH    fixed: the one path requested
--   API_PATHS   rotate: paths separated by `|`, taken in turn
--   API_BODY    login: the JSON body POSTed to API_PATH
-- At the end it prints one line that bench/api reads:
--   API_RESULT requests=N seconds=S rps=R p50_us=.. p90_us=.. p99_us=.. max_us=.. non2xx=N socket_errors=N

local mode = os.getenv("API_MODE") or "fixed"
local token = os.getenv("API_TOKEN")
local ids = tonumber(os.getenv("API_IDS") or "1000000")
local first_id = tonumber(os.getenv("API_IDS_FROM") or "1")
local path = os.getenv("API_PATH") or "/"
local body = os.getenv("API_BODY")
local paths = {}
for p in string.gmatch(os.getenv("API_PATHS") or "", "[^|]+") do
    paths[#paths + 1] = p
end

local counter = 0
function setup(thread)
    counter = counter + 1
    thread:set("seed", counter)
end

local headers = {}
local turn = 0
function init(args)
    -- Distinct, repeatable id streams per thread.
    math.randomseed(1000003 * (seed or 1))
    turn = (seed or 1) * 7919
    if token and mode ~= "floor" and mode ~= "login" then
        headers["Authorization"] = "Bearer " .. token
    end
    if mode == "login" then
        headers["Content-Type"] = "application/json"
    end
end

function request()
    if mode == "detail" then
        return wrk.format("GET", "/api/v1/submissions/" .. math.random(first_id, ids), headers)
    elseif mode == "floor" then
        return wrk.format("GET", "/floor/" .. math.random(first_id, ids), headers)
    elseif mode == "rotate" then
        turn = turn + 1
        return wrk.format("GET", paths[(turn % #paths) + 1], headers)
    elseif mode == "login" then
        return wrk.format("POST", path, headers, body)
    else
        return wrk.format("GET", path, headers)
    end
end

function done(summary, latency, requests)
    local seconds = summary.duration / 1e6
    local e = summary.errors
    io.write(string.format(
        "API_RESULT requests=%d seconds=%.2f rps=%.1f p50_us=%d p90_us=%d p99_us=%d max_us=%d non2xx=%d socket_errors=%d\n",
        summary.requests, seconds, summary.requests / seconds,
        latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max,
        e.status, e.connect + e.read + e.write + e.timeout))
end
