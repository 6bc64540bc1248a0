// The custom role Tide's managed identity gets on the resource group of the GPU resources it scales: exactly
// the ARM actions adapters/azure calls (test/infra/azure-role.test.ts compares this list with the requests the
// real clients sent while every adapter action ran, mapped to their documented actions).
targetScope = 'resourceGroup'

@description('The principal (the Function App\'s system-assigned managed identity).')
param principalId string

resource actuator 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'tide-actuator')
  properties: {
    roleName: 'Tide actuator (${resourceGroup().name})'
    description: 'Exactly the calls adapters/azure makes: observe and scale VM scale sets and Azure ML online deployments, read metrics and autoscale settings.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Compute/locations/operations/read'
          'Microsoft.Compute/virtualMachineScaleSets/delete/action'
          'Microsoft.Compute/virtualMachineScaleSets/read'
          'Microsoft.Compute/virtualMachineScaleSets/virtualMachines/read'
          'Microsoft.Compute/virtualMachineScaleSets/write'
          'Microsoft.Compute/virtualMachines/read'
          'Microsoft.Insights/AutoscaleSettings/read'
          'Microsoft.Insights/AutoscaleSettings/write'
          'Microsoft.Insights/Metrics/Read'
          'Microsoft.MachineLearningServices/locations/mfeOperationsStatus/read'
          'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/delete'
          'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/read'
          'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/deployments/write'
          'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/read'
          'Microsoft.MachineLearningServices/workspaces/onlineEndpoints/write'
          'Microsoft.Network/virtualNetworks/subnets/join/action'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource assignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, actuator.id)
  properties: {
    roleDefinitionId: actuator.id
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}

output roleDefinitionId string = actuator.id
