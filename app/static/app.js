// Start the GOV.UK and MOJ components on every page (both served from the app's own files).
import { initAll as initGovuk } from "/vendor/govuk/govuk-frontend.min.js";
import { initAll as initMoj } from "/vendor/moj/moj-frontend.min.js";

initGovuk();
initMoj();
