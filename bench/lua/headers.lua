-- Extra headers from the HEADERS environment variable: "Name: value" lines.
for line in string.gmatch(os.getenv("HEADERS_LINES") or "", "[^\n]+") do
  local name, value = string.match(line, "^([^:]+):%s*(.*)$")
  if name then wrk.headers[name] = value end
end
