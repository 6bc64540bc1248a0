// Tide on Azure: a Function App on Flex Consumption (Node.js 22) with three functions from one bundle
// (`npm run build:azure`): `tideHttp` (HTTP: the API, the Azure Monitor action group webhook, Event Grid
// webhooks, the scheduled-events relay), `tideEvents` (Event Grid trigger: Azure ML run status and scale set
// resource events) and `tideTick` (timer, every `tickIntervalSeconds`, default a minute). Its system-assigned managed identity is what
// DefaultAzureCredential uses; it gets the custom role of tide-role.bicep on the GPU resource group, and
// nothing else beyond its own storage.
//
//   az deployment group create -g tide-rg -f infra/azure/main.bicep \
//     -p gpuResourceGroup=gpu-rg mlWorkspaceName=ml-ws redisUrl=$REDIS_URL ingestKey=$TIDE_INGEST_KEY
//   npm run build:azure && (cd dist/azure && npm install --omit=dev && zip -qr ../tide-azure.zip .)
//   az functionapp deployment source config-zip -g tide-rg -n <appName> --src dist/tide-azure.zip
//
// Retries and dead letters: Event Grid delivers each event to `tideEvents` until it succeeds, at most
// `maxDeliveryAttempts` times within `eventTimeToLiveInMinutes`, then writes it to the `tide-deadletter`
// blob container. The function fails a delivery only when a retry can help (functions/azure/handlers.ts).
targetScope = 'resourceGroup'

@description('Where the Function App runs.')
param location string = resourceGroup().location

@description('Name of the Function App (also the prefix of its storage and plan).')
@minLength(3)
@maxLength(40)
param appName string = 'tide-${uniqueString(resourceGroup().id)}'

@description('Resource group of the scale sets and Azure ML workspaces Tide scales (the custom role is scoped to it).')
param gpuResourceGroup string = resourceGroup().name

@description('Azure ML workspace (in gpuResourceGroup) whose run status events Tide takes; empty for none.')
param mlWorkspaceName string = ''

@description('shadow records decisions only; dry-run also reads the clouds; act changes capacity.')
@allowed([
  'shadow'
  'dry-run'
  'act'
])
param tideMode string = 'shadow'

@description('Seconds between ticks (plans, metrics, started operations): 30 s, a whole number of minutes that divides an hour, or an hour (functions/azure/schedule.ts says why).')
@allowed([
  30
  60
  120
  180
  240
  300
  360
  600
  720
  900
  1200
  1800
  3600
])
param tickIntervalSeconds int = 60

@secure()
@description('REDIS_URL of Tide\'s state store (rediss://…); kept as a secret app setting.')
param redisUrl string

@secure()
@description('A Tide API key with the ingest scope (`tide keys create --scope ingest`) for the action group webhook.')
param ingestKey string

@description('Secure webhook: the Entra ID tenant of Tide\'s app registration (empty: the action group sends the ingest key).')
param entraTenantId string = ''

@description('Secure webhook: the Application ID URI of Tide\'s app registration (the token audience).')
param entraAudience string = ''

@description('Secure webhook: the object id of Tide\'s app registration\'s service principal.')
param entraObjectId string = ''

@description('Event Grid retry policy: attempts before an event goes to the dead-letter container (1-30).')
@minValue(1)
@maxValue(30)
param maxDeliveryAttempts int = 10

@description('Event Grid retry policy: minutes an event is retried before it goes to the dead-letter container.')
@minValue(1)
@maxValue(1440)
param eventTimeToLiveInMinutes int = 60

var secureWebhook = !empty(entraTenantId) && !empty(entraAudience)
var entraSettings = secureWebhook
  ? [
      {
        name: 'TIDE_ENTRA_TENANT_ID'
        value: entraTenantId
      }
      {
        name: 'TIDE_ENTRA_AUDIENCES'
        value: entraAudience
      }
    ]
  : []

var storageName = take(toLower(replace('${appName}st', '-', '')), 24)
var deploymentContainer = 'app-package'
var deadLetterContainer = 'tide-deadletter'
// Built-in roles the app needs on its own storage (host state, timer locks, the deployment package).
var storageBlobDataOwner = 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
var storageBlobDataContributor = 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  kind: 'StorageV2'
  sku: {
    name: 'Standard_LRS'
  }
  properties: {
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
  }
}

resource blobs 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource packageContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deploymentContainer
}

resource deadLetters 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobs
  name: deadLetterContainer
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${appName}-logs'
  location: location
  properties: {
    retentionInDays: 30
    sku: {
      name: 'PerGB2018'
    }
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${appName}-insights'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
    DisableLocalAuth: true
  }
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${appName}-plan'
  location: location
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer}'
          authentication: {
            type: 'SystemAssignedIdentity'
          }
        }
      }
      scaleAndConcurrency: {
        maximumInstanceCount: 40
        instanceMemoryMB: 2048
      }
      runtime: {
        name: 'node'
        version: '22'
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      ftpsState: 'Disabled'
      appSettings: concat(entraSettings, [
        {
          name: 'AzureWebJobsStorage__accountName'
          value: storage.name
        }
        {
          name: 'AzureWebJobsStorage__credential'
          value: 'managedidentity'
        }
        {
          name: 'APPLICATIONINSIGHTS_CONNECTION_STRING'
          value: insights.properties.ConnectionString
        }
        {
          name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'
          value: 'Authorization=AAD'
        }
        {
          name: 'TIDE_MODE'
          value: tideMode
        }
        {
          name: 'TIDE_TICK_INTERVAL_SECONDS'
          value: string(tickIntervalSeconds)
        }
        {
          name: 'REDIS_URL'
          value: redisUrl
        }
      ])
    }
  }
}

// The app's identity on its own storage: host state and timer locks, and reading its deployment package.
resource appStorage 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, app.id, storageBlobDataOwner)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataOwner)
    principalId: app.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

// The custom role, on the GPU resource group only.
module role 'tide-role.bicep' = {
  name: 'tide-actuator-role'
  scope: resourceGroup(gpuResourceGroup)
  params: {
    principalId: app.identity.principalId
  }
}

// --- Events: Azure ML run status, and writes to the GPU resource group's scale sets, to tideEvents ---

var deliveryPolicy = {
  retryPolicy: {
    maxDeliveryAttempts: maxDeliveryAttempts
    eventTimeToLiveInMinutes: eventTimeToLiveInMinutes
  }
  eventDeliverySchema: 'EventGridSchema'
}

resource mlWorkspace 'Microsoft.MachineLearningServices/workspaces@2024-04-01' existing = if (!empty(mlWorkspaceName)) {
  name: mlWorkspaceName
  scope: resourceGroup(gpuResourceGroup)
}

resource mlTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = if (!empty(mlWorkspaceName)) {
  name: '${appName}-ml-events'
  location: mlWorkspace!.location
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: mlWorkspace.id
    topicType: 'Microsoft.MachineLearningServices.Workspaces'
  }
}

resource mlTopicDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (!empty(mlWorkspaceName)) {
  name: guid(storage.id, '${appName}-ml-events', storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: mlTopic!.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource mlSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = if (!empty(mlWorkspaceName)) {
  parent: mlTopic
  name: 'tide-ml-events'
  dependsOn: [
    mlTopicDeadLetters
  ]
  properties: union(deliveryPolicy, {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${app.id}/functions/tideEvents'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.MachineLearningServices.RunStatusChanged'
        'Microsoft.MachineLearningServices.RunCompleted'
      ]
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  })
}

resource gpuTopic 'Microsoft.EventGrid/systemTopics@2024-06-01-preview' = {
  name: '${appName}-gpu-rg-events'
  location: 'global'
  identity: {
    type: 'SystemAssigned'
  }
  properties: {
    source: resourceId(gpuResourceGroup, 'Microsoft.Resources/resourceGroups', gpuResourceGroup)
    topicType: 'Microsoft.Resources.ResourceGroups'
  }
}

resource gpuTopicDeadLetters 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(storage.id, '${appName}-gpu-rg-events', storageBlobDataContributor)
  scope: storage
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', storageBlobDataContributor)
    principalId: gpuTopic.identity.principalId
    principalType: 'ServicePrincipal'
  }
}

resource gpuSubscription 'Microsoft.EventGrid/systemTopics/eventSubscriptions@2024-06-01-preview' = {
  parent: gpuTopic
  name: 'tide-scale-set-events'
  dependsOn: [
    gpuTopicDeadLetters
  ]
  properties: union(deliveryPolicy, {
    destination: {
      endpointType: 'AzureFunction'
      properties: {
        resourceId: '${app.id}/functions/tideEvents'
        maxEventsPerBatch: 1
      }
    }
    filter: {
      includedEventTypes: [
        'Microsoft.Resources.ResourceWriteSuccess'
        'Microsoft.Resources.ResourceWriteFailure'
        'Microsoft.Resources.ResourceActionFailure'
      ]
      subjectBeginsWith: '/subscriptions/${subscription().subscriptionId}/resourceGroups/${gpuResourceGroup}/providers/Microsoft.Compute/virtualMachineScaleSets'
    }
    deadLetterWithResourceIdentity: {
      identity: {
        type: 'SystemAssigned'
      }
      deadLetterDestination: {
        endpointType: 'StorageBlob'
        properties: {
          resourceId: storage.id
          blobContainerName: deadLetterContainer
        }
      }
    }
  })
}

// --- Alerts: an action group whose webhook posts the common alert schema to tideHttp ---

resource alerts 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: '${appName}-alerts'
  location: 'global'
  properties: {
    groupShortName: 'tide'
    enabled: true
    // With a secure webhook the action group sends an Entra ID token (adapters/auth/entra.ts), not the key.
    webhookReceivers: [
      secureWebhook
        ? {
            name: 'tide'
            serviceUri: 'https://${app.properties.defaultHostName}/v1/events/azure-monitor'
            useCommonAlertSchema: true
            useAadAuth: true
            tenantId: entraTenantId
            identifierUri: entraAudience
            objectId: entraObjectId
          }
        : {
            name: 'tide'
            serviceUri: 'https://${app.properties.defaultHostName}/v1/events/azure-monitor?token=${ingestKey}'
            useCommonAlertSchema: true
          }
    ]
  }
}

output functionAppName string = app.name
output principalId string = app.identity.principalId
output actionGroupId string = alerts.id
output webhookBase string = 'https://${app.properties.defaultHostName}/v1/events'
output roleDefinitionId string = role.outputs.roleDefinitionId
