export {
  type CanaryReport,
  canaryPullRequests,
  parseReport,
  REPORT_MARKER,
  reportComment,
} from './canary-report.ts';
export { changedServices, type ImageSource } from './changed-services.ts';
export { COMMANDS } from './cli.ts';
export { canaryTag, imageName, releaseTag } from './image-tag.ts';
export { getImageTag, setImageTag } from './kustomize-images.ts';
export { readPlatform } from './platform.ts';
export {
  approvalLabel,
  approveFork,
  deletePrImages,
  FORK_GUARD_MARKER,
  FORK_LABEL,
  guardForkPush,
  type Labelled,
  syncLabels,
  upsertComment,
} from './pr-actions.ts';
export { COMMENT_MARKER, prCommentBody } from './pr-comment.ts';
export { releaseNotes } from './release-notes.ts';
