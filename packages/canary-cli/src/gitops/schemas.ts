import * as argo from '@kubernetes-models/argo-cd/argoproj.io/v1alpha1';
import * as gateway from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1';
import * as gatewayBeta from '@kubernetes-models/gateway-api/gateway.networking.k8s.io/v1beta1';
import * as monitoring from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import * as traefik from '@kubernetes-models/traefik/traefik.io/v1alpha1';
import * as apps from 'kubernetes-models/apps/v1';
import * as autoscaling from 'kubernetes-models/autoscaling/v2';
import * as networking from 'kubernetes-models/networking.k8s.io/v1';
import * as policy from 'kubernetes-models/policy/v1';
import * as core from 'kubernetes-models/v1';
import type { K8sObject } from './objects.ts';

type Model = new (data: never) => { validate(): void };

/** apiVersion → kind → model, for every kind the manifests may contain (versions pinned in package.json). */
const MODELS: Record<string, Record<string, Model>> = {
  v1: {
    Namespace: core.Namespace,
    ConfigMap: core.ConfigMap,
    Service: core.Service,
    ServiceAccount: core.ServiceAccount,
    ResourceQuota: core.ResourceQuota,
    LimitRange: core.LimitRange,
    Secret: core.Secret,
  },
  'apps/v1': { Deployment: apps.Deployment, StatefulSet: apps.StatefulSet },
  'autoscaling/v2': { HorizontalPodAutoscaler: autoscaling.HorizontalPodAutoscaler },
  'policy/v1': { PodDisruptionBudget: policy.PodDisruptionBudget },
  'networking.k8s.io/v1': { NetworkPolicy: networking.NetworkPolicy },
  'argoproj.io/v1alpha1': {
    Application: argo.Application,
    ApplicationSet: argo.ApplicationSet,
    AppProject: argo.AppProject,
  },
  'traefik.io/v1alpha1': { IngressRoute: traefik.IngressRoute, Middleware: traefik.Middleware },
  'gateway.networking.k8s.io/v1': { GRPCRoute: gateway.GRPCRoute, HTTPRoute: gateway.HTTPRoute },
  'gateway.networking.k8s.io/v1beta1': { ReferenceGrant: gatewayBeta.ReferenceGrant },
  'monitoring.coreos.com/v1': {
    ServiceMonitor: monitoring.ServiceMonitor,
    PodMonitor: monitoring.PodMonitor,
    PrometheusRule: monitoring.PrometheusRule,
  },
};

/** Validates an object against its schema; returns the problems (empty when valid). */
export function schemaProblems(object: K8sObject): string[] {
  const model = MODELS[object.apiVersion]?.[object.kind];
  if (model === undefined) return [`no schema known for ${object.apiVersion} ${object.kind}`];
  try {
    new model(structuredClone(object) as never).validate();
    return [];
  } catch (err) {
    return [(err as Error).message.split('\n')[0] ?? 'invalid'];
  }
}
