// The file access for tests that read fixtures directly: regular files only, as in the core, but
// any folder (the API's allowed roots are tested where the API is).
import { createLocalFiles } from '../../src/main/core/files/local-files'
import { ANY_PATH } from '../../src/main/core/files/policy'

export const anyFiles = createLocalFiles(ANY_PATH)
