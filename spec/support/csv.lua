-- An RFC 4180 reader for the specs: CSV text to a list of rows (lists of
-- strings). Quoted fields may hold commas, doubled quotes and newlines.
local M = {}

function M.read(text)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local quoted = false
  while i <= n do
    local ch = text:sub(i, i)
    if quoted then
      if ch == '"' then
        if text:sub(i + 1, i + 1) == '"' then
          field[#field + 1] = '"'
          i = i + 1
        else
          quoted = false
        end
      else
        field[#field + 1] = ch
      end
    elseif ch == '"' then
      quoted = true
    elseif ch == "," then
      row[#row + 1] = table.concat(field)
      field = {}
    elseif ch == "\n" then
      row[#row + 1] = table.concat(field)
      rows[#rows + 1] = row
      row, field = {}, {}
    elseif ch ~= "\r" then
      field[#field + 1] = ch
    end
    i = i + 1
  end
  if quoted then error("unterminated quoted field", 2) end
  if #field > 0 or #row > 0 then
    row[#row + 1] = table.concat(field)
    rows[#rows + 1] = row
  end
  return rows
end

return M
