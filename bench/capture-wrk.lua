-- wrk script for bench/capture.js: the counting and the summary line of
-- throughput-wrk.lua, plus a pause before every request so that the connections together
-- offer a fixed rate (wrk has no rate option, and wrk2 is not packaged). Each connection
-- sends about 1000 / (WRK_DELAY_MS + latency) requests per second.
dofile(os.getenv("WRK_BASE_SCRIPT"))

local pause = tonumber(os.getenv("WRK_DELAY_MS") or "0")

function delay()
  return pause
end
