// Starts the NHS.UK frontend components. Loaded as a module, so only browsers that can run the
// design system's JavaScript do; everything works without it.
import { initAll } from "../nhsuk/nhsuk-frontend.min.js";

document.body.classList.add("js-enabled", "nhsuk-frontend-supported");
initAll();
