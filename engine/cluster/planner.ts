/** The optimizer and the task loader the engine uses (owned by the catalog and task engineers). */
export { optimize } from '../optimizer/index';
export { loadTaskFile } from '../task/load';
export { enabledInfra as detectEnabledInfra } from '../optimizer/enabledInfra';
