-- Argo CD health of a Konfiguru resource (App, Database, MLPipeline, DataPipeline), read from
-- the kstatus-style status the operator writes:
--   metadata.generation not yet observed (status.observedGeneration, or a condition's own
--   observedGeneration, is older)        -> Progressing: the operator has not seen this spec yet
--   Stalled=True                          -> Degraded, with the condition's message
--   Ready=True                            -> Healthy
--   anything else, including no status   -> Progressing, with the most telling message
-- deploy/argocd/argocd-cm.yaml carries this script once per kind; tests/shipping runs it.
local hs = {}

local function condition(conditions, kind)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == kind then
      return c
    end
  end
  return nil
end

local function describe(c, fallback)
  if c ~= nil and c.message ~= nil and c.message ~= "" then
    return c.message
  end
  if c ~= nil and c.reason ~= nil and c.reason ~= "" then
    return c.reason
  end
  return fallback
end

local generation = nil
if obj.metadata ~= nil then
  generation = obj.metadata.generation
end

if obj.status == nil or obj.status.conditions == nil then
  hs.status = "Progressing"
  hs.message = "Waiting for the Konfiguru operator to report status"
  return hs
end

local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "Waiting for the Konfiguru operator to observe generation " .. tostring(generation)
  return hs
end

local function current(c)
  -- A condition written for an older generation says nothing about this one.
  if c == nil then
    return nil
  end
  if generation ~= nil and c.observedGeneration ~= nil and c.observedGeneration < generation then
    return nil
  end
  return c
end

local conditions = obj.status.conditions
local stalled = current(condition(conditions, "Stalled"))
local ready = current(condition(conditions, "Ready"))
local reconciling = current(condition(conditions, "Reconciling"))

if stalled ~= nil and stalled.status == "True" then
  hs.status = "Degraded"
  hs.message = describe(stalled, "Stalled")
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = describe(ready, "Ready")
  return hs
end

hs.status = "Progressing"
if reconciling ~= nil and reconciling.status == "True" then
  hs.message = describe(reconciling, "Reconciling")
else
  hs.message = describe(ready, "Waiting for the resource to become ready")
end
return hs
