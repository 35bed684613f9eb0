// `npm run build`'s last step: the shipped profiles validated into dist, so that loading one
// needs neither the YAML parser nor zod (src/machine/builtin-profiles.ts).
import { writeBuiltinProfiles } from "../dist/machine/profile.js";

writeBuiltinProfiles();
