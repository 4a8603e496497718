-- wrk script of scripts/bench.sh: sends each pre-generated request body exactly once.
--   wrk -t1 -c C -d Ds -s scripts/bench.lua URL -- BODIES_FILE AUTHORIZATION
--   wrk -t1 -c C -d Ds -s scripts/bench.lua URL -- LINES_FILE CALLER_AUTHORIZATION gateway
-- The second form sends each `TOKEN<TAB>PROOF` line as the sub-request nginx makes for
-- GET /resource in gateway mode (docs/gateway.md), and a response is OK with HTTP 200.
--   wrk -t1 -c C -d Ds -s scripts/bench.lua URL -- PROOFS_FILE CLIENT_AUTHORIZATION peer
-- The third form sends each line, a DPoP proof, to an authorization server's own token
-- endpoint (scripts/peer: node-oidc-provider) as a client would: a client_credentials form
-- with the client's Basic credentials and the proof in the DPoP header; a response is OK with
-- HTTP 200 and a DPoP-bound token ("token_type":"DPoP").
-- One thread only (-t1): each wrk thread has its own Lua state and would send every body again.
-- A response counts as OK only with HTTP 200 and `"action":"OK"` in its JSON. If the bodies run
-- out before the duration ends, the thread stops and `exhausted` says so: the run is void.
-- Globals, not locals: done() reads them from the thread's state with thread:get().
requests = {}
next_index = 1
non_ok = 0
exhausted = 0
gateway = false
peer = false

function init(args)
  local file = assert(io.open(args[1], "r"), "cannot open " .. tostring(args[1]))
  local headers = { ["Content-Type"] = "application/json", ["Authorization"] = args[2] }
  gateway = args[3] == "gateway"
  peer = args[3] == "peer"
  for line in file:lines() do
    local token, proof = string.match(line, "^([^\t]+)\t([^\t]+)$")
    if peer and #line > 0 then
      requests[#requests + 1] = wrk.format("POST", nil, {
        ["Content-Type"] = "application/x-www-form-urlencoded",
        ["Authorization"] = args[2],
        ["DPoP"] = line,
      }, "grant_type=client_credentials&scope=read")
    elseif gateway and token then
      requests[#requests + 1] = wrk.format("GET", nil, {
        ["Authorization"] = "DPoP " .. token,
        ["DPoP"] = proof,
        ["X-Original-Method"] = "GET",
        ["X-Original-URI"] = "/resource",
        ["X-Dpopd-Caller"] = args[2],
      })
    elseif #line > 0 then
      requests[#requests + 1] = wrk.format("POST", nil, headers, line)
    end
  end
  file:close()
end

function request()
  local r = requests[next_index]
  if r == nil then
    exhausted = 1
    wrk.thread:stop()
    return wrk.format("GET", "/healthz")
  end
  requests[next_index] = false -- never sent twice, and the memory can go
  next_index = next_index + 1
  return r
end

function response(status, headers, body)
  local expected = peer and '"token_type":"DPoP"' or '"action":"OK"'
  local ok = status == 200 and (gateway or string.find(body, expected, 1, true))
  if not ok then
    non_ok = non_ok + 1
    if non_ok <= 3 then
      io.stderr:write("non-OK answer (" .. status .. "): " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, _)
  local non_ok_total, exhausted_any, sent = 0, 0, 0
  for _, t in ipairs(threads) do
    non_ok_total = non_ok_total + t:get("non_ok")
    exhausted_any = math.max(exhausted_any, t:get("exhausted"))
    sent = sent + t:get("next_index") - 1
  end
  local e = summary.errors
  io.write(string.format(
    "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d max_us=%d non_ok=%d sent=%d socket_errors=%d exhausted=%d\n",
    summary.requests, summary.duration, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(99), latency.max, non_ok_total, sent,
    e.connect + e.read + e.write + e.timeout, exhausted_any))
end
