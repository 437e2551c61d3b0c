export { AT_ALL_MARKER } from './at-all.js';
export { TIM_LIMITS } from './tim-limits.js';
