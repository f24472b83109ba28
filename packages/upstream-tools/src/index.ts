export {
  type CrdFile,
  type CrdSource,
  crdSources,
  NOT_SERVED,
  platformVersions,
  readCrdFiles,
} from './crds.ts';
export { findGo, goSkipReason, MissingGoError, moduleDir } from './go.ts';
export { freePort } from './net.ts';
export {
  type BuiltTool,
  ensureTool,
  pinnedVersion,
  REPO_ROOT,
  TOOL_NAMES,
  TOOLS,
  TOOLS_BIN,
  type ToolName,
} from './tools.ts';
