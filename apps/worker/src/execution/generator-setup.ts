import {
  createBuiltinGenerators,
  createGeneratorRegistry,
  loadGeneratorModules,
  type BuiltinGeneratorSettings,
  type GeneratorRegistry,
  type LimitsSettings,
} from '@genq/generators';

/**
 * What builds a worker's generators, as plain data: the worker's main thread and each of its
 * execution threads build the same registry from it.
 */
export interface GeneratorSetup {
  builtin: BuiltinGeneratorSettings;
  /** GENQ_GENERATOR_MODULES */
  modules: string[];
  limits: LimitsSettings;
}

export async function createRegistryFrom(setup: GeneratorSetup): Promise<GeneratorRegistry> {
  const generators = [
    ...createBuiltinGenerators(setup.builtin),
    ...(await loadGeneratorModules(setup.modules)),
  ];
  return createGeneratorRegistry(generators, setup.limits);
}
