-- wrk script: POST one fixed MCP request. The body is read from the file named by
-- BENCH_BODY, the headers from BENCH_HEADERS (one "Name: value" per line).
wrk.method = "POST"
local body = assert(io.open(os.getenv("BENCH_BODY"), "rb"))
wrk.body = body:read("*a")
body:close()
for line in io.lines(os.getenv("BENCH_HEADERS")) do
  local name, value = line:match("^([^:]+):%s*(.*)$")
  if name then
    wrk.headers[name] = value
  end
end
